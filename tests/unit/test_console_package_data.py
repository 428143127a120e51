"""The console's templates and stylesheet are package data, read through the package
(``importlib.resources``, as an installed wheel serves them; a wheel built from this tree
carries them: hatch ships every file under ``src/quillpress``), and every template
compiles with autoescaping on."""

from __future__ import annotations

from importlib.resources import files

from quillpress.api.console.rendering import templates


def test_the_templates_and_the_stylesheet_are_read_from_the_package() -> None:
    package = files("quillpress.api.console")
    assert package.joinpath("static/console.css").read_text().strip()
    names = sorted(
        entry.name
        for entry in package.joinpath("templates").iterdir()
        if entry.name.endswith(".html")
    )
    assert "base.html" in names
    assert templates.list_templates() == names
    for name in names:
        templates.get_template(name)  # compiles


def test_every_template_escapes_what_it_is_given() -> None:
    rendered = templates.from_string("{{ value }}").render(value="<script>x</script>")
    assert rendered == "&lt;script&gt;x&lt;/script&gt;"
