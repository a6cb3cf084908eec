"""Forum limits, read from the environment once at import (see docs/forum.md)."""

from __future__ import annotations

from config.env import env_int

# Posts per minute for any member below moderator; shared through the cache.
POSTS_PER_MINUTE = env_int("FORUM_POSTS_PER_MINUTE", 5, minimum=1)
# New members (trust level 0) are held to these.
TL0_POSTS_PER_DAY = env_int("FORUM_TL0_POSTS_PER_DAY", 10, minimum=1)
TL0_MAX_LINKS = env_int("FORUM_TL0_MAX_LINKS", 2, minimum=0)
TL0_MAX_MENTIONS = env_int("FORUM_TL0_MAX_MENTIONS", 2, minimum=0)
# Everyone else may still not mention a crowd at once.
MAX_MENTIONS = env_int("FORUM_MAX_MENTIONS", 10, minimum=1)
POSTS_PER_PAGE = 25
THREADS_PER_PAGE = 30
