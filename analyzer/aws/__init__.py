"""Everything that talks to AWS goes through boto3 sessions built here. Importing this package
does not import boto3; its modules do."""

DEFAULT_MAX_ATTEMPTS = 8
