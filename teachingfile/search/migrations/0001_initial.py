from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("teachingfile", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("scope", models.CharField(choices=[("public", "Before the reveal"), ("full", "Everything")], max_length=6)),
                ("title", models.TextField(blank=True)),
                ("body", models.TextField(blank=True)),
                ("case", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="search_entries", to="teachingfile.case")),
            ],
            options={"verbose_name_plural": "search entries"},
        ),
        migrations.AddConstraint(
            model_name="searchentry",
            constraint=models.UniqueConstraint(fields=("case", "scope"), name="searchentry_one_per_scope"),
        ),
    ]
