"""The HTTP service: FastAPI app, background jobs, auth and the web page (the store is `verbalize.store`)."""
