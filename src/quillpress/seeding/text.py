"""Vocabulary of the demo data: names, topics, and the templates posts are assembled from.

Kept apart from the generation logic so that file stays about what it does, not what it says.
Templates are whole sentences with ``{topic}`` / ``{subject}`` slots (``{Topic}`` where a
sentence starts with it, capitalised): each one reads like prose on its own, and variety
comes from combining them, never from random words.

Size: data (names, topics, sentence templates), no logic."""

from __future__ import annotations

from typing import NamedTuple


def words(text: str) -> list[str]:
    """Word lists kept as text: one readable block each instead of a line per word."""
    return text.split()


class Topic(NamedTuple):
    tag: str  # the tag name, as a front end shows it
    name: str  # how prose refers to it: "PostgreSQL", "web development"
    code: str | None  # fenced code block language; None for topics told in prose only
    people: bool = False  # about people and work, not technology: other templates fit


# Most popular first: the tag pool takes them in this order, so the default pool is the
# head of this list and ``--tags 300`` adds suffixed variants as a long tail.
TOPICS = (
    Topic("javascript", "JavaScript", "javascript"),
    Topic("python", "Python", "python"),
    Topic("webdev", "web development", "html"),
    Topic("typescript", "TypeScript", "typescript"),
    Topic("react", "React", "jsx"),
    Topic("devops", "DevOps", "yaml"),
    Topic("rust", "Rust", "rust"),
    Topic("go", "Go", "go"),
    Topic("sql", "SQL", "sql"),
    Topic("docker", "Docker", "dockerfile"),
    Topic("career", "your career", None, people=True),
    Topic("kubernetes", "Kubernetes", "yaml"),
    Topic("postgresql", "PostgreSQL", "sql"),
    Topic("testing", "testing", "python"),
    Topic("css", "CSS", "css"),
    Topic("security", "security", "bash"),
    Topic("linux", "Linux", "bash"),
    Topic("java", "Java", "java"),
    Topic("node", "Node.js", "javascript"),
    Topic("opensource", "open source", None, people=True),
    Topic("aws", "AWS", "bash"),
    Topic("databases", "databases", "sql"),
    Topic("architecture", "software architecture", None),
    Topic("git", "Git", "bash"),
    Topic("graphql", "GraphQL", "graphql"),
    Topic("api", "API design", "bash"),
    Topic("performance", "performance work", "python"),
    Topic("beginners", "programming for beginners", "python"),
    Topic("productivity", "productivity", None, people=True),
    Topic("redis", "Redis", "bash"),
    Topic("sqlite", "SQLite", "sql"),
    Topic("kotlin", "Kotlin", "kotlin"),
    Topic("swift", "Swift", "swift"),
    Topic("vue", "Vue", "javascript"),
    Topic("frontend", "front-end development", "javascript"),
    Topic("accessibility", "accessibility", "html"),
    Topic("cloud", "the cloud", "yaml"),
    Topic("serverless", "serverless", "yaml"),
    Topic("microservices", "microservices", "yaml"),
    Topic("machinelearning", "machine learning", "python"),
    Topic("datascience", "data science", "python"),
    Topic("algorithms", "algorithms", "python"),
    Topic("concurrency", "concurrency", "go"),
    Topic("async", "async programming", "python"),
    Topic("observability", "observability", "yaml"),
    Topic("logging", "logging", "python"),
    Topic("monitoring", "monitoring", "yaml"),
    Topic("ci", "continuous integration", "yaml"),
    Topic("deployment", "deployment", "bash"),
    Topic("caching", "caching", "python"),
    Topic("kafka", "Kafka", "java"),
    Topic("networking", "networking", "bash"),
    Topic("cryptography", "cryptography", "python"),
    Topic("debugging", "debugging", "python"),
    Topic("refactoring", "refactoring", "java"),
    Topic("documentation", "documentation", None, people=True),
    Topic("management", "engineering management", None, people=True),
    Topic("hiring", "hiring", None, people=True),
    Topic("remote", "remote work", None, people=True),
    Topic("writing", "technical writing", None, people=True),
    Topic("design", "product design", None, people=True),
    Topic("mobile", "mobile development", "kotlin"),
    Topic("android", "Android", "kotlin"),
    Topic("ios", "iOS", "swift"),
    Topic("haskell", "Haskell", "haskell"),
    Topic("elixir", "Elixir", "elixir"),
    Topic("compilers", "compilers", "rust"),
    Topic("embedded", "embedded systems", "c"),
    Topic("gamedev", "game development", "csharp"),
    Topic("grpc", "gRPC", "protobuf"),
    Topic("rest", "REST APIs", "bash"),
    Topic("migrations", "schema migrations", "sql"),
    Topic("indexing", "database indexes", "sql"),
    Topic("privacy", "privacy", None),
    Topic("wasm", "WebAssembly", "rust"),
)
TAG_SUFFIXES = ("", "-tips", "-internals", "-basics")

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

# --- titles and descriptions ------------------------------------------------------------

OPENERS = (
    "A practical guide to",
    "Lessons learned from",
    "Getting started with",
    "The hidden cost of",
    "Ten things I wish I knew about",
    "Rethinking",
    "Debugging",
    "Notes on",
    "In defence of",
    "What nobody tells you about",
    "Understanding",
    "A field guide to",
    "Beyond",
    "Taming",
    "Why we changed our mind about",
    "The boring truth about",
    "Scaling",
    "Testing",
    "Benchmarking",
    "Simplifying",
)
PEOPLE_OPENERS = (
    "Notes on",
    "Rethinking",
    "A practical guide to",
    "Lessons learned about",
    "What nobody tells you about",
    "Getting better at",
    "In defence of",
    "Understanding",
    "Ten things I wish I knew about",
    "The quiet work of",
    "A beginner's guide to",
    "Why I changed my mind about",
)
# Each starts with its own separator, so "{topic}{closer}" reads right; none starts with
# " in", so "… in {topic}{closer}" never says "in" twice.
CLOSERS = (
    "",
    " at scale",
    " for beginners",
    ", the hard way",
    " on a budget",
    " without tears",
    ", with examples",
    " for small teams",
    ", revisited",
    " done right",
    ", step by step",
    " from scratch",
)
PEOPLE_CLOSERS = (
    "",
    " for new managers",
    " for small teams",
    ", the hard way",
    ", revisited",
    " as a junior developer",
    " without the drama",
    " in a remote team",
)
LESSONS = (
    "what actually worked",
    "lessons from a rewrite",
    "the boring solution",
    "notes from production",
    "an honest review",
    "what the docs don't say",
    "mistakes we made",
    "a practical look",
    "a checklist",
    "one year later",
    "the numbers",
    "a gentle introduction",
)
YEARS = ("two", "three", "five", "seven", "ten")

TECH_SUBJECTS = (  # singular: sentences say "{subject} is…"
    "error handling",
    "configuration",
    "connection pooling",
    "retry logic",
    "structured logging",
    "test coverage",
    "build speed",
    "memory usage",
    "dependency management",
    "code review",
    "feature flagging",
    "schema design",
    "cache invalidation",
    "pagination",
    "background processing",
    "rate limiting",
    "authentication",
    "local development",
    "alerting",
    "release management",
    "naming",
    "type checking",
    "packaging",
    "tracing",
    "test flakiness",
    "cold-start latency",
    "API versioning",
    "backwards compatibility",
    "batch processing",
    "startup time",
)
PEOPLE_SUBJECTS = (  # singular: sentences say "{subject} is…"
    "feedback",
    "interviewing",
    "onboarding",
    "estimation",
    "meeting culture",
    "mentoring",
    "career growth",
    "burnout",
    "decision making",
    "public speaking",
    "saying no",
    "async communication",
    "job hunting",
    "focus time",
    "delegation",
    "knowledge sharing",
)

# Slots: opener, closer, lesson, years, topic, subject (the people ones draw PEOPLE_* lists).
TECH_TITLES = (
    "{opener} {topic}{closer}",
    "{opener} {subject} in {topic}{closer}",
    "{subject} in {topic}: {lesson}",
    "What {years} years of {topic} taught me about {subject}",
)
PEOPLE_TITLES = (
    "{opener} {subject}{closer}",
    "What {years} years of {topic} taught me about {subject}",
    "{subject} and {topic}: {lesson}",
    "{subject}: {lesson}",
)

TECH_DESCRIPTIONS = (
    "What we learned about {subject} after a year of {topic} in production.",
    "A short, opinionated tour of {subject} in {topic}.",
    "The mistakes I made with {subject}, so you don't have to.",
    "Everything I wish someone had told me about {topic} on day one.",
    "A step-by-step walk through {subject}, with the numbers to back it up.",
    "Why {subject} is harder than it looks, and what finally worked for us.",
    "Practical notes on {subject} from a small team using {topic}.",
    "Less theory, more practice: {subject} in {topic} with real examples.",
    "How a boring approach to {subject} saved our release.",
    "Three patterns for {subject} that survived contact with production.",
    "A beginner-friendly introduction to {topic}, one small example at a time.",
    "The {topic} setup we use every day, and why {subject} is at its centre.",
)
PEOPLE_DESCRIPTIONS = (
    "What I learned about {subject} the slow way.",
    "A short, honest guide to {subject} for people new to {topic}.",
    "The habits around {subject} that made the biggest difference for me.",
    "Why {subject} deserves more attention than it gets.",
    "My current approach to {subject}, and the trade-offs I accept.",
    "Notes from a year of paying attention to {subject}.",
    "Small changes to {subject} that our whole team noticed.",
)

# --- bodies -------------------------------------------------------------------------------

TECH_SENTENCES = (
    "We took {topic} seriously two years ago, mostly because a new service needed it.",
    "The first version worked, but {subject} was an afterthought.",
    "Nobody on the team had strong opinions about {subject} until it broke on a Friday.",
    "Most guides to {topic} skip this part, so here is what we found.",
    "The fix turned out to be smaller than the investigation.",
    "It is tempting to reach for a new library, but the standard tools go a long way.",
    "Measure first: our intuition about {subject} was wrong twice.",
    "The numbers below come from our staging environment, which is smaller than production.",
    "{Topic} makes the simple case easy and the complicated case possible.",
    "If you only take one thing away, make {subject} explicit instead of clever.",
    "Every shortcut we took here came back as an incident later.",
    "Most write-ups on {topic} cover this, but it is easy to miss.",
    "A small script reproduced the problem in under a minute.",
    "We wrote the failing test before touching the code.",
    "That single change cut our p99 latency by a third.",
    "Reviews got faster once everyone agreed on how to handle {subject}.",
    "There is a trade-off here, and it is worth writing down.",
    "The defaults are sensible, but they assume a workload unlike ours.",
    "Teams new to {topic} tend to underestimate {subject}.",
    "Logging the right fields made the next investigation trivial.",
    "We rolled it out behind a flag and watched the dashboards for a week.",
    "Nothing here is new, but it is rarely written down in one place.",
    "Your mileage will vary, especially on older hardware.",
    "It took us three attempts to get {subject} right.",
    "The second attempt was simpler, and simpler won.",
    "Reading other people's {topic} code answered questions the docs did not.",
    "Once {subject} was boring, the rest of the system got easier to change.",
    "Be careful with {subject} when several processes share the same data.",
    "The old code was not wrong, it was written for a smaller problem.",
    "We kept the migration reversible until the new path had run for a month.",
    "A checklist beat a clever abstraction here.",
    "The surprising part was how much time went into {subject}, not into {topic} itself.",
    "Here is the smallest example that shows the idea.",
    "In hindsight, we should have started with the boring option.",
    "None of this needs a framework; a few lines of code are enough.",
    "Ask what happens when the network is slow, not only when it is down.",
    "Our on-call rotation noticed the difference before the dashboards did.",
    "Write down why, not only what, next to code that handles {subject}.",
)
PEOPLE_SENTENCES = (
    "I used to think {subject} would sort itself out with experience.",
    "It did not, at least not without some deliberate practice.",
    "The first time I paid real attention to {subject}, it changed how my week felt.",
    "Most advice about {topic} assumes a large company with plenty of process.",
    "A small team needs lighter habits, but it still needs habits.",
    "Write things down: memory is a poor place to keep decisions.",
    "The people I learned most from were generous with their time and honest with feedback.",
    "Saying what you expect, early, saves everyone a difficult conversation later.",
    "It is fine to start small and adjust as you go.",
    "Nobody gets {subject} right the first time, and that is normal.",
    "What worked for me might not work for you, so treat this as a starting point.",
    "Asking one good question beats preparing ten slides.",
    "Every team I have joined had a different idea of what {subject} means.",
    "Clarity is kind, even when the message is not the one people hoped for.",
    "I keep a short list of what went well each week, and it helps more than I expected.",
    "The hard part of {topic} is rarely the technical part.",
    "Trust grows from small promises kept, not from big announcements.",
    "Over time, {subject} became something I look forward to instead of dreading.",
    "When in doubt, ask the person closest to the problem.",
    "A calendar with room to think is a feature, not a luxury.",
    "The best habits around {subject} are the ones you can keep on a bad week.",
    "I got this wrong for years before a colleague pointed it out.",
)
HEADINGS = (
    "Why {subject} matters",
    "The problem",
    "Where we started",
    "What went wrong",
    "Measuring first",
    "A smaller example",
    "The fix",
    "Trade-offs",
    "Common pitfalls",
    "Before you start",
    "What we changed",
    "How it works",
    "The checklist",
    "Results",
    "What I would do differently",
    "A closer look at {subject}",
    "Putting it together",
    "The boring solution",
)
CLOSING_HEADINGS = ("Wrapping up", "Takeaways", "Conclusion", "What's next", "Further reading")
BULLETS = (
    "Measure before changing anything.",
    "Keep {subject} boring and explicit.",
    "Write the test that fails first.",
    "Prefer one obvious way over three clever ones.",
    "Make the default the safe choice.",
    "Log enough context to debug without a debugger.",
    "Document the decision and the reason behind it.",
    "Roll out gradually and watch the numbers.",
    "Delete code nobody calls.",
    "Ask for review early, while changes are still cheap.",
    "Put limits on everything that can grow.",
    "Automate the step people forget.",
    "Revisit {subject} every few months.",
    "Keep the feedback loop short.",
    "Name things for what they hold.",
    "Plan for the slow path, not only the failure.",
)

# Small, complete snippets per fenced-code language (used as they are, never formatted).
CODE: dict[str, tuple[str, ...]] = {
    "python": (
        "def retry(call, attempts=3, delay=0.2):\n"
        "    for attempt in range(1, attempts + 1):\n"
        "        try:\n"
        "            return call()\n"
        "        except TimeoutError:\n"
        "            if attempt == attempts:\n"
        "                raise\n"
        "            time.sleep(delay * attempt)",
        "from functools import lru_cache\n\n\n"
        "@lru_cache(maxsize=1024)\n"
        "def load_settings(path: str) -> dict[str, str]:\n"
        "    with open(path) as handle:\n"
        "        return dict(line.strip().split('=', 1) for line in handle if '=' in line)",
        "async def fetch_all(client, urls):\n"
        "    async with asyncio.TaskGroup() as group:\n"
        "        tasks = [group.create_task(client.get(url)) for url in urls]\n"
        "    return [task.result() for task in tasks]",
    ),
    "javascript": (
        "async function withTimeout(promise, ms) {\n"
        "  const timer = new Promise((_, reject) =>\n"
        "    setTimeout(() => reject(new Error('timeout')), ms));\n"
        "  return Promise.race([promise, timer]);\n"
        "}",
        "const byTag = articles.reduce((groups, article) => {\n"
        "  for (const tag of article.tagList) {\n"
        "    (groups[tag] ??= []).push(article);\n"
        "  }\n"
        "  return groups;\n"
        "}, {});",
    ),
    "typescript": (
        "type Result<T> = { ok: true; value: T } | { ok: false; error: string };\n\n"
        "function parsePort(raw: string): Result<number> {\n"
        "  const port = Number(raw);\n"
        "  return Number.isInteger(port) && port > 0\n"
        "    ? { ok: true, value: port }\n"
        "    : { ok: false, error: `invalid port: ${raw}` };\n"
        "}",
        "interface Article {\n  slug: string;\n  title: string;\n  tagList: string[];\n}\n\n"
        "export const titles = (articles: Article[]): string[] =>\n"
        "  articles.map((article) => article.title);",
    ),
    "jsx": (
        "function TagList({ tags }) {\n"
        "  return (\n"
        '    <ul className="tag-list">\n'
        "      {tags.map((tag) => <li key={tag}>{tag}</li>)}\n"
        "    </ul>\n"
        "  );\n"
        "}",
        "const [count, setCount] = useState(0);\n\n"
        "return <button onClick={() => setCount(count + 1)}>Clicked {count} times</button>;",
    ),
    "html": (
        '<nav aria-label="Main">\n  <ul>\n    <li><a href="/">Home</a></li>\n'
        '    <li><a href="/editor" aria-current="page">New post</a></li>\n  </ul>\n</nav>',
        '<img src="/avatars/dana.svg" alt="Dana\'s avatar" width="32" height="32" loading="lazy">',
    ),
    "css": (
        ".card {\n  display: grid;\n  gap: 1rem;\n  padding: clamp(1rem, 3vw, 2rem);\n"
        "  border-radius: 0.5rem;\n}",
        "@media (prefers-reduced-motion: reduce) {\n  * {\n    animation: none !important;\n"
        "    transition: none !important;\n  }\n}",
    ),
    "rust": (
        "fn parse_port(raw: &str) -> Result<u16, String> {\n"
        "    raw.parse::<u16>()\n"
        '        .map_err(|error| format!("invalid port {raw}: {error}"))\n'
        "}",
        "let total: u64 = orders\n    .iter()\n    .filter(|order| order.paid)\n"
        "    .map(|order| order.amount)\n    .sum();",
    ),
    "go": (
        "ctx, cancel := context.WithTimeout(ctx, 2*time.Second)\n"
        "defer cancel()\n\n"
        "rows, err := db.QueryContext(ctx, query, userID)\n"
        "if err != nil {\n"
        '    return fmt.Errorf("load user %d: %w", userID, err)\n'
        "}",
        "var wg sync.WaitGroup\nfor _, url := range urls {\n    wg.Add(1)\n"
        "    go func(url string) {\n        defer wg.Done()\n        fetch(url)\n"
        "    }(url)\n}\nwg.Wait()",
    ),
    "sql": (
        "CREATE INDEX CONCURRENTLY article_author_created_idx\n"
        "    ON article (author_id, created_at DESC, id DESC);",
        "SELECT t.name, count(*) AS uses\n"
        "FROM article_tag AS at\n"
        "JOIN tag AS t ON t.id = at.tag_id\n"
        "GROUP BY t.name\n"
        "ORDER BY uses DESC\n"
        "LIMIT 20;",
        "EXPLAIN (ANALYZE, BUFFERS)\nSELECT id, title FROM article\n"
        "WHERE author_id = 42\nORDER BY created_at DESC\nLIMIT 20;",
    ),
    "bash": (
        "curl -s localhost:8000/api/articles?limit=5 | jq '.articles[].title'",
        "set -euo pipefail\n\nfor host in web-1 web-2 web-3; do\n"
        '  ssh "$host" sudo systemctl restart app\n  sleep 10\ndone',
        "journalctl -u app --since '1 hour ago' | grep -c ERROR",
    ),
    "yaml": (
        "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: make test",
        "resources:\n  requests:\n    cpu: 250m\n    memory: 256Mi\n  limits:\n    memory: 512Mi",
    ),
    "dockerfile": (
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY pyproject.toml .\n"
        "RUN pip install --no-cache-dir .\nCOPY src ./src\n"
        'CMD ["quillpress", "serve", "--host", "0.0.0.0"]',
    ),
    "java": (
        "try (var connection = dataSource.getConnection();\n"
        "     var statement = connection.prepareStatement(SQL)) {\n"
        "    statement.setLong(1, userId);\n"
        "    return statement.executeQuery().next();\n"
        "}",
        "record Article(String slug, String title, List<String> tags) {}\n\n"
        "var titles = articles.stream().map(Article::title).toList();",
    ),
    "kotlin": (
        "data class Article(val slug: String, val title: String)\n\n"
        "fun List<Article>.titles() = map { it.title }",
    ),
    "swift": (
        "struct Article: Decodable {\n    let slug: String\n    let title: String\n}\n\n"
        "let articles = try JSONDecoder().decode([Article].self, from: data)",
    ),
    "graphql": (
        "query Feed {\n  articles(first: 10) {\n    edges {\n      node { slug title "
        "author { username } }\n    }\n  }\n}",
    ),
    "haskell": ("wordCount :: String -> Int\nwordCount = length . words",),
    "elixir": (
        "def titles(articles) do\n  articles\n  |> Enum.filter(& &1.published)\n"
        "  |> Enum.map(& &1.title)\nend",
    ),
    "c": (
        "static uint8_t crc8(const uint8_t *data, size_t len) {\n"
        "    uint8_t crc = 0;\n    while (len--) crc = table[crc ^ *data++];\n"
        "    return crc;\n}",
    ),
    "csharp": (
        'void Update()\n{\n    var move = Input.GetAxis("Horizontal") * speed * Time.deltaTime;\n'
        "    transform.Translate(move, 0, 0);\n}",
    ),
    "protobuf": (
        'syntax = "proto3";\n\nmessage Article {\n  string slug = 1;\n  string title = 2;\n'
        "  repeated string tags = 3;\n}",
    ),
}

# --- comments and bios -----------------------------------------------------------------------

COMMENT_OPENERS = (
    "Great write-up!",
    "Thanks for sharing this.",
    "Nice post.",
    "Interesting take.",
    "This is really helpful.",
    "Bookmarked.",
    "Finally someone said it.",
    "Solid advice.",
    "",
    "",
)
COMMENT_BODIES = (
    "The part about {subject} matches what we saw on our team.",
    "We hit exactly this problem last month.",
    "Have you tried this on a bigger codebase?",
    "I'd push back a little on {subject}, but the examples are convincing.",
    "Could you share more details on how you measured it?",
    "This saved me an afternoon of debugging.",
    "We ended up doing something similar, but with fewer moving parts.",
    "I wish I had read this before our last release.",
    "How do you handle {subject} when the team grows?",
    "Sending this to my team.",
    "The checklist alone is worth it.",
    "Any plans for a follow-up on {subject}?",
    "Small nit: the second example could use a comment or two.",
    "Agreed on the boring solution. It usually wins.",
)
COMMENT_CLOSERS = ("Thanks!", "Looking forward to part two.", "Cheers.", "", "", "")

BIO_ROLES = (
    "Backend engineer",
    "Front-end developer",
    "Site reliability engineer",
    "Engineering manager",
    "Data engineer",
    "Full-stack developer",
    "Indie developer",
    "Computer science student",
    "Technical writer",
    "Open source maintainer",
    "Platform engineer",
    "Mobile developer",
)
BIO_PLACES = (
    "at a small logistics startup",
    "at a mid-sized bank",
    "working remotely",
    "in Lisbon",
    "in Berlin",
    "in Nairobi",
    "in Toronto",
    "at a design agency",
    "at a public broadcaster",
    "on a team of four",
)
BIO_TOPICS = (
    "Rust",
    "Python",
    "PostgreSQL",
    "TypeScript",
    "Go",
    "Kubernetes",
    "accessibility",
    "CSS",
    "distributed systems",
    "SQLite",
    "Elixir",
    "compilers",
    "observability",
    "React",
    "testing",
    "developer tooling",
    "Kotlin",
    "machine learning",
)
BIO_INTERESTS = (
    "Writes about {topic} and {other}.",
    "Into {topic}, good coffee and long walks.",
    "Currently learning {topic}.",
    "Usually found debugging {topic}.",
    "Thinks {topic} deserves better documentation.",
    "Giving talks about {topic} and {other}.",
    "Reads release notes for fun.",
    "Ships small changes often.",
)
