"""Deprecated location of the Lambda handler, kept so deployed functions configured with
`analyzer.aws_lambda.handler` keep working; new deployments use
`analyzer.entry.lambda_handler.handler`."""

from analyzer.entry.lambda_handler import handler

__all__ = ["handler"]
