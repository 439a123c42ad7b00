#!/bin/bash
# the last line has an unterminated string: it is left alone
docker ps

list() {
  docker images
}

list
docker run --rm alpine echo "unbalanced
