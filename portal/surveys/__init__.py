"""Public surveys (问卷调查): built by the press office and the centre, answered by residents."""
