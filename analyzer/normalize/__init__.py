"""Pure normalization of CloudTrail sign-in records into frame rows."""

from analyzer.normalize.record import Normalized, RecordRejected, content_id, normalize_record

__all__ = ["Normalized", "RecordRejected", "content_id", "normalize_record"]
