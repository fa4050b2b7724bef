import sys, tempfile
from pathlib import Path
import bench.loadgen as lg
from bench.loadgen import Service, build_facility, mixed_load, print_mixed
from bench.pgschema import pg_schema
def main():
    users=int(sys.argv[1]); rows=int(sys.argv[2]); runs=int(sys.argv[3])
    if len(sys.argv)>4: lg.DASHBOARD[:] = [p for p in lg.DASHBOARD if p != "/"]
    folder = Path(tempfile.mkdtemp())
    with pg_schema() as url:
        f = build_facility(url); s = Service(url, folder/"s.log"); s.start(); s.warm(f.door_token)
        try: r = mixed_load(s, f, seconds=40, rate=500, import_rows=rows, runs=runs, users=users, folder=folder)
        finally: s.stop()
    print_mixed(r)

if __name__ == '__main__':
    main()
