"""Media containers read as their formats' readers read them: the parts a container is made
of (:mod:`.parts`) and where it keeps XMP (:mod:`.xmp`), found from headers alone."""
