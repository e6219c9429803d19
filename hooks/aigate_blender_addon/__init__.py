"""aigate as a Blender add-on: a shim over :mod:`aigate_blender.addon`, where the operators,
the sidebar panel and the handlers live.

Install it the Blender way (Edit > Preferences > Add-ons > Install from disk, with this
folder zipped); aigate itself must be importable by Blender's Python (pip install aigate into
it, or put it on PYTHONPATH). With bpy as a module, call ``aigate_blender.register()``
instead.
"""

from __future__ import annotations

from aigate_blender.addon import register, unregister

__all__ = ["bl_info", "register", "unregister"]

#: what a legacy add-on install reads (an extension install reads blender_manifest.toml)
bl_info = {
    "name": "aigate",
    "author": "aigate",
    "version": (0, 1, 0),
    "blender": (4, 2, 0),
    "location": "Video Sequencer > Sidebar > aigate",
    "description": "Checks AI-generated strips against the studio's GenAI policy",
    "category": "Sequencer",
}
