from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "apps.news"
    label = "news"
    verbose_name = "县域资讯"
