"""Vocabulary of the demo data: names, topics and phrases the seeder draws from.

Kept apart from the seeding logic so that file stays about what it does, not what it says."""

from __future__ import annotations


def words(text: str) -> list[str]:
    """Word lists kept as text: one readable block each instead of a line per word."""
    return text.split()


FIRST = words(
    "ada alan anna ben carla chen dana diego elena emil fatima felix grace hana ivan iris "
    "jonas julia kai karin leo lina maria marco nadia noah olga omar priya paul quinn "
    "rosa ravi sara sven tara tomas uma victor wei yara yusuf zoe"
)
LAST = words(
    "adams baker costa diaz evans fischer garcia hansen ito jensen kim lopez meyer novak "
    "okafor patel quinn rossi silva tanaka ueda vargas weber xu young zhang berg moreau "
    "nilsen park"
)
TOPICS = words(
    "python rust go java kotlin swift typescript javascript haskell elixir sql postgresql "
    "sqlite redis kafka docker kubernetes linux networking security cryptography testing "
    "debugging profiling caching databases indexing migrations apis rest graphql grpc "
    "microservices monoliths queues concurrency async threads memory compilers parsers "
    "algorithms datastructures observability logging metrics tracing ci deployment cloud "
    "serverless frontend css accessibility design ux mobile embedded hardware gamedev "
    "graphics audio machinelearning statistics datavis privacy opensource careers hiring "
    "management remote writing documentation refactoring architecture"
)
WORDS = words(
    "the a an and but so because when while after before often rarely always never system "
    "service request response query index table cache queue worker thread process server "
    "client team project release deploy test bug fix change review design pattern idea "
    "problem solution trade-off cost budget latency throughput memory disk network error "
    "failure retry timeout limit page user data schema model field value result simple "
    "small fast slow careful clear honest boring reliable fragile hidden obvious we you "
    "they it this that every some most few many one two three build measure learn ship "
    "read write keep remove add split merge move wait run check is was becomes stays "
    "needs makes takes gives shows hides breaks helps matters works in on at with without "
    "from into over under between across through about for of to"
)
TAG_SUFFIXES = ("", "-tips", "-internals", "-basics")
OPENERS = (
    "A practical guide to",
    "Lessons learned from",
    "Getting started with",
    "The hidden cost of",
    "Ten things I wish I knew about",
    "Rethinking",
    "Debugging",
    "Scaling",
    "Notes on",
    "In defence of",
    "What nobody tells you about",
    "Understanding",
    "Testing",
    "Shipping",
    "Migrating to",
    "A field guide to",
    "Beyond",
    "Taming",
    "Benchmarking",
    "Why we chose",
)
CLOSERS = (
    "",
    "in production",
    "at scale",
    "for beginners",
    "the hard way",
    "on a budget",
    "without tears",
    "with examples",
    "for small teams",
    "revisited",
    "done right",
    "step by step",
    "from scratch",
    "in practice",
)
BIOS = (
    "Writes code, breaks it, fixes it.",
    "Backend engineer. Coffee first.",
    "Curious about databases and people.",
    "Teaching computers to be less surprising.",
    "Ships small changes often.",
    "Reads release notes for fun.",
)
