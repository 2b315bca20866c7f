"""`make bench`: cold start, warm overhead and size of the handler, each measured beside a bare boto3 baseline."""
