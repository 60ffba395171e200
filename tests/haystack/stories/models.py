from django.db import models


class Story(models.Model):
    headline = models.CharField(max_length=200)
    body = models.TextField()
    desk = models.CharField(max_length=40)
    tags = models.CharField(max_length=200, blank=True)  # comma-separated
    words = models.IntegerField()
    price = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    urgent = models.BooleanField(default=False)
    published = models.DateTimeField()
    filed = models.DateField()

    class Meta:
        app_label = "stories"


class Note(models.Model):
    text = models.TextField()

    class Meta:
        app_label = "stories"
