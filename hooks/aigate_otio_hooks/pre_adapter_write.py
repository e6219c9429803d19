"""OTIO hook script (imported by path): the export gate. Logic lives in aigate_otio_hooks."""

from aigate_otio_hooks import pre_adapter_write


def hook_function(in_timeline, argument_map=None):
    return pre_adapter_write(in_timeline, argument_map or {})
