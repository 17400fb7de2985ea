"""The dense leg's embedders: the `Embedder` interface, the offline model committed with
the package, an OpenAI-compatible endpoint, and their settings."""
