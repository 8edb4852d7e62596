"""Entry points: the `signin-report` command (launch, prestart, cli, progress) and the AWS
Lambda handler. They parse their input, call the library and present its result; no policy
lives here."""

INTERRUPTED = 130  # the exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells give
