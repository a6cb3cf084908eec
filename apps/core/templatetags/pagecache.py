"""``{% cached_fragment "name" %}...{% endcached_fragment %}``: a block of a cached page, reused while its tags hold.

For the impersonal parts of a page a signed-in member sees (an article's text,
a list of questions) around the parts that are theirs (their name, their
follow button). See apps/core/pagecache.py; the block must hold nothing
personal, and one that rendered a CSRF token is never stored.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

from apps.core import pagecache

register = template.Library()


class CachedFragmentNode(template.Node):
    def __init__(self, name: FilterExpression, nodelist: NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: Context) -> SafeString:
        name = str(self.name.resolve(context))
        html = pagecache.fragment(context.get("request"), name, lambda: self.nodelist.render(context))
        return mark_safe(html)  # the block's own rendering, escaped by the template engine  # noqa: S308


@register.tag("cached_fragment")
def cached_fragment(parser: Parser, token: Token) -> CachedFragmentNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% cached_fragment %} takes one argument: the fragment's name")
    nodelist = parser.parse(("endcached_fragment",))
    parser.delete_first_token()
    return CachedFragmentNode(parser.compile_filter(bits[1]), nodelist)
