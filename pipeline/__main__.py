from .cli import main

if __name__ == "__main__":  # worker processes import this module again (forkserver, spawn): they must not run
    main()
