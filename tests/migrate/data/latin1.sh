#!/bin/sh
# Café «script» in latin-1
docker run --rm -e GREETING="héllo" alpine echo "$GREETING"
docker ps