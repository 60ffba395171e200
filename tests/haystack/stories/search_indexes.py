from haystack import indexes

from .models import Note, Story


class StoryIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True, use_template=False)
    headline = indexes.CharField(model_attr="headline")
    desk = indexes.CharField(model_attr="desk", faceted=True)
    tags = indexes.MultiValueField()
    words = indexes.IntegerField(model_attr="words")
    price = indexes.DecimalField(model_attr="price", null=True)
    urgent = indexes.BooleanField(model_attr="urgent")
    published = indexes.DateTimeField(model_attr="published")
    filed = indexes.DateField(model_attr="filed")
    headline_auto = indexes.EdgeNgramField(model_attr="headline")
    slug = indexes.CharField(indexed=False, stored=True)

    def get_model(self):
        return Story

    def prepare_text(self, obj):
        return f"{obj.headline}\n{obj.body}"

    def prepare_tags(self, obj):
        return [t.strip() for t in obj.tags.split(",") if t.strip()]

    def prepare_slug(self, obj):
        return f"story-{obj.pk}"


class NoteIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True, model_attr="text")

    def get_model(self):
        return Note
