class MLModel:
    """Base class of a model runtime, as in MLServer: subclasses implement async load() and predict()."""

    def __init__(self, settings):
        self._settings = settings
        self.ready = False

    @property
    def settings(self):
        return self._settings

    @property
    def name(self):
        return self._settings.name

    @property
    def version(self):
        return self._settings.parameters.version

    async def load(self) -> bool:
        self.ready = True
        return self.ready

    async def predict(self, payload):
        raise NotImplementedError("predict() is not implemented by this model")
