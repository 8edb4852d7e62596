"""The audit job's Parquet history: a local folder or an S3 prefix."""
