"""An adapter file whose import never finishes: the verifier must time out, not hang."""

import time

while True:
    time.sleep(1)
