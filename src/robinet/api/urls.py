from ninja import NinjaAPI

api = NinjaAPI(title="Robinet API", version="1", urls_namespace="api-v1")
