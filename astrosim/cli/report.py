"""``astrosim report``: markdown table and learning curves of training runs."""
NAME = "report"
HELP = "summarise training runs (mean ± std over seeds) into a markdown table and learning-curve plots"


def add_arguments(parser):
    parser.add_argument("runs", nargs="+", help="run folders, or folders holding run folders")
    parser.add_argument("--out", default="report", help="folder for report.md and curves-*.png")
    parser.add_argument("--target", type=float, default=0.85, help="accuracy for 'epochs to target'")


def run(args):
    from astrosim.train.report import write_report

    print(write_report(args.runs, args.out, target=args.target))
    return 0
