"""How much one input may inflate to. A gzip of zeros or a record with a gigabyte-long user
agent must cost a skipped file with its name, not the machine: every reader stops at this
limit, so peak memory follows the limit, whatever the input (README "Size limits")."""

from __future__ import annotations

MIB = 2**20
# CloudTrail delivers a log file per region about every five minutes; even busy accounts
# write files of a few tens of MB. Raise it with `--max-file-mb` (or `max_file_bytes=`).
DEFAULT_MAX_FILE_BYTES = 256 * MIB


def describe(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB else f"{limit} bytes"
