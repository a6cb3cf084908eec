"""An Atom feed that can be written whatever the database holds.

Django's feed writer raises on the C0 control characters that XML 1.0 cannot
carry, so one such character in a thread title or a member's name turned every
feed that lists it into a 500. Forms and services refuse those characters now
(apps.core.validators), but rows written before, or by hand, may still hold
them: this writer drops them from every text and attribute on the way out, and
writes titles and names as one clean line (apps.core.validators.single_line).
"""

from __future__ import annotations

from typing import Any

from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator

from apps.core.validators import single_line, xml_safe

# Entries of the feed and of each item that are one line of text.
_ONE_LINE = ("title", "author_name")


class _XMLSafeGenerator(SimplerXMLGenerator):
    def characters(self, content: Any) -> None:
        super().characters(xml_safe(str(content)) if content else content)

    def startElement(self, name: str, attrs: Any) -> None:
        # Django's feeds pass a plain dict here (the stubs say AttributesImpl, which SAX parsers give).
        clean: Any = {key: xml_safe(str(value)) for key, value in attrs.items()} if attrs else attrs
        super().startElement(name, clean)


class SafeAtom1Feed(Atom1Feed):
    """Atom1Feed whose output is well-formed XML 1.0 for any stored text."""

    def write(self, outfile: Any, encoding: str) -> None:  # a file-like object, as in Django's own
        for entry in (self.feed, *self.items):
            for key in _ONE_LINE:
                if entry.get(key):
                    entry[key] = single_line(str(entry[key]))
        # Atom1Feed.write with the forgiving generator in place of Django's.
        handler = _XMLSafeGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")
