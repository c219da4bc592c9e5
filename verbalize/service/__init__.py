"""The service side of verbalize: the SQL store of batch runs (and, beside it, the HTTP service).

Kept free of imports so `verbalize.service.store` can be used without loading FastAPI.
"""
