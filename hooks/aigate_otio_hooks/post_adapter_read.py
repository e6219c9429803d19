"""OTIO hook script (imported by path): the import check. Logic lives in aigate_otio_hooks."""

from aigate_otio_hooks import post_adapter_read


def hook_function(in_timeline, argument_map=None):
    return post_adapter_read(in_timeline, argument_map or {})
