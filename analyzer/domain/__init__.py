"""Value types every stage may import: the time window, the coverage account and the
library's errors. Nothing here imports pandas, boto3 or another stage."""
