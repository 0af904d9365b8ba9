"""PyInstaller entry point for the console CLI (build.spec -> xueji)."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # photo batches use a process pool
    from app.cli import main

    sys.exit(main())
