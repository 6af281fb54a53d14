app_name = "counter"
urlpatterns: list = []
