/**
 * Vocabulary and fixed choices for the seeded data and the queries. Content is English-ish: common
 * function words (mostly stop words for full-text search) mixed with topic words drawn with a skew,
 * so that early topic words are frequent and late ones rare, and full-text search has selectivity.
 */

export const COMMON_WORDS = (
  'the a an and or but of to in on at for with from by about as into over after before under ' +
  'is was are were be been has have had will would should could can may might must do does did ' +
  'this that these those it its they them their we our you your he she his her i my me not no ' +
  'very more most some any all each every other such only also then than when where while because'
).split(' ')

export const TOPIC_WORDS = (
  'project meeting deadline review budget report customer invoice payment contract schedule ' +
  'release deploy server database query index cache memory token model prompt context session ' +
  'user account password login profile setting preference theme editor terminal keyboard shortcut ' +
  'file folder document note draft summary outline chapter section paragraph sentence word ' +
  'email message reply thread channel calendar event reminder task ticket issue bug feature ' +
  'test build pipeline branch commit merge conflict patch version upgrade migration backup restore ' +
  'python typescript javascript rust golang java kotlin swift haskell elixir ruby scala ' +
  'docker kubernetes postgres redis kafka nginx linux windows macos android iphone laptop ' +
  'coffee tea breakfast lunch dinner recipe kitchen garden balcony window door garage ' +
  'travel flight hotel train airport luggage passport visa ticketing itinerary museum beach ' +
  'mountain river forest lake island valley desert glacier volcano canyon meadow harbor ' +
  'morning evening weekend holiday birthday anniversary wedding vacation spring summer autumn winter ' +
  'family friend colleague manager team partner neighbor teacher student doctor lawyer dentist ' +
  'music guitar piano violin drums concert album playlist podcast radio movie series novel poem ' +
  'football tennis running cycling swimming hiking climbing yoga chess puzzle marathon workout ' +
  'allergy peanut gluten lactose vegetarian vegan spicy sweet salty bitter sour umami ' +
  'blue green red yellow purple orange black white silver golden crimson turquoise ' +
  'quick slow careful quiet loud bright dark warm cold heavy light strong gentle fragile ' +
  'important urgent optional blocked pending finished archived shared private public secret ' +
  'lantern compass anchor beacon lighthouse telescope microscope notebook pencil ink parchment ' +
  'dragon phoenix griffin unicorn kraken sphinx chimera hydra basilisk wyvern pegasus minotaur ' +
  'quartz granite marble obsidian basalt sandstone limestone slate jade amber opal sapphire ' +
  'falcon sparrow heron pelican albatross kingfisher woodpecker nightingale osprey cormorant ' +
  'walnut almond cashew pistachio hazelnut chestnut pecan macadamia coconut acorn ' +
  'saffron cinnamon nutmeg cardamom paprika turmeric oregano rosemary thyme basil tarragon ' +
  'violet lavender magnolia orchid tulip peony camellia jasmine hibiscus marigold wisteria ' +
  'cobalt copper zinc nickel titanium tungsten platinum mercury bismuth gallium iridium ' +
  'tundra savanna steppe prairie marsh estuary fjord lagoon atoll plateau archipelago ' +
  'zephyr monsoon blizzard drizzle hailstorm tornado cyclone typhoon sirocco mistral chinook'
).split(/\s+/).filter((w) => w.length > 0)

/** Owning tools of the seeded rows. The read/list/search scenarios call as `SEED_TOOLS[0]`. */
export const SEED_TOOLS = ['claude-desktop', 'cursor', 'zed', 'slack-bot', 'vscode', 'default']
/** Entry types of the seeded rows, in decreasing frequency. */
export const SEED_TYPES = ['fact', 'episode', 'preference', 'summary', 'entity', 'relation']
/** Tags of the seeded rows: a row has 0–3 of them, early ones more often. */
export const SEED_TAGS = [
  'work', 'home', 'todo', 'idea', 'travel', 'health', 'code', 'people', 'finance', 'music',
  'books', 'food', 'sport', 'learning', 'urgent', 'archive', 'draft', 'review', 'meeting', 'personal',
]

/** The tool the service's read, list and search scenarios call as (X-Memory-Tool). */
export const READ_TOOL = SEED_TOOLS[0] as string
/** Tools the benchmark writes as; their rows are removed at the start and end of every run. */
export const BENCH_CREATE_TOOL = 'bench-create'
export const BENCH_BARE_TOOL = 'bench-bare'

/** Full-text queries: mid-frequency and rare topic words, single and paired (websearch AND). */
export const FULLTEXT_QUERIES = [
  'lighthouse', 'kingfisher pistachio', 'glacier', 'saffron harbor', 'telescope notebook',
  'obsidian', 'marathon', 'wisteria', 'typhoon archipelago', 'phoenix', 'deploy kubernetes',
  'peanut allergy', 'lagoon', 'tungsten', 'basilisk', 'hailstorm fjord',
]

/** Substring queries: word fragments (trigram-indexed ILIKE '%…%'). */
export const SUBSTRING_QUERIES = [
  'lighthou', 'kingfis', 'pistach', 'obsidi', 'wisteri', 'archipel', 'tungste', 'basilis',
  'marath', 'telesco', 'hailsto', 'saffro', 'cormoran', 'macadam', 'tarrago', 'zephy',
]

/** Redis keys of the bare cache-read baseline's values (`GET /kv/:k`), in the bench's own Redis database. */
export const KV_PREFIX = 'bench:kv:'
