"""Everything that talks to AWS goes through boto3 sessions built here."""
