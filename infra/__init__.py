"""The CDK app's package. It reads names and closed sets from the handler's own modules (`lambda_src/`)."""
