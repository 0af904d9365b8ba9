"""Student photos without Qt: presets (resources/photo_presets.json), the Pillow pipeline that turns any
camera or file image into a spec JPEG, and the archive's content-addressed ``files/`` store."""
