"""What operators use: backups, request logs, metrics and the health checks."""
