"""aigate in Blender with bpy as a module: ``aigate.blender.register()`` installs the
operators, the sidebar panel and the handlers (see hooks/aigate_blender_addon);
``aigate.blender.unregister()`` removes them all (call it before the interpreter exits)."""

from __future__ import annotations


def register() -> None:
    import aigate_blender_addon

    aigate_blender_addon.register()


def unregister() -> None:
    import aigate_blender_addon

    aigate_blender_addon.unregister()
