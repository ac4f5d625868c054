import os


async def get_model_uri(settings, wellknown_filenames=()):
    """Absolute path of parameters.uri, resolved against the folder holding model-settings.json."""
    uri = settings.parameters.uri
    if not uri:
        for name in wellknown_filenames:
            candidate = os.path.join(settings._source, name)
            if os.path.exists(candidate):
                return candidate
        raise FileNotFoundError("model-settings.json has no parameters.uri")
    return uri if os.path.isabs(uri) else os.path.join(settings._source, uri)
