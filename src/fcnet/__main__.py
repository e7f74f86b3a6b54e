"""`python -m fcnet` is the `fcnet` command (torchrun launches it this way)."""

from fcnet.cli import main

if __name__ == "__main__":
    main()
