"""PyInstaller entry point for the windowed GUI (build.spec -> xueji-gui)."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # photo batches use a process pool
    from ui.main import main

    sys.exit(main())
