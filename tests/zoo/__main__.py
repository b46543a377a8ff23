"""`python -m tests.zoo`: see tests/zoo/__init__.py."""

from tests.zoo.run import main

if __name__ == "__main__":
    main()
