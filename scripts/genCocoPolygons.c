/* Reference masks for test/dataset/cocoPolygons.json, made by pycocotools' own C (common/maskApi.c
 * from github.com/cocodataset/cocoapi, not part of this repository): each case's polygons are one
 * annotation, rleFrPoly per polygon, rleMerge (union), rleDecode.
 * Build and run:  cc -O2 -I<cocoapi>/common scripts/genCocoPolygons.c <cocoapi>/common/maskApi.c -lm -o /tmp/gen
 *                 /tmp/gen 7 200 > test/dataset/cocoPolygons.json
 * Output masks are column-major run lengths starting with 0s, as COCO's uncompressed RLE. */
#include <stdio.h>
#include <stdlib.h>
#include "maskApi.h"

static unsigned long long state;
static double rnd(void) { /* xorshift64*, reproducible everywhere */
  state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
  return (double)((state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  state = 0x9E3779B97F4A7C15ULL ^ (unsigned long long)atoll(argv[1]);
  int n = atoi(argv[2]);
  printf("{\"generator\":\"cocoapi maskApi.c via scripts/genCocoPolygons.c %s %s\",\"cases\":[", argv[1], argv[2]);
  for (int c = 0; c < n; c++) {
    siz w = 4 + (siz)(rnd() * 50), h = 4 + (siz)(rnd() * 50);
    int np = 1 + (int)(rnd() * 3);
    RLE *R = malloc(sizeof(RLE) * np);
    printf("%s{\"name\":\"maskapi_%d\",\"w\":%d,\"h\":%d,\"polygons\":[", c ? "," : "", c, (int)w, (int)h);
    for (int p = 0; p < np; p++) {
      int k = 3 + (int)(rnd() * 10); double mode = rnd();
      double *xy = malloc(sizeof(double) * 2 * k);
      for (int i = 0; i < k; i++) {
        if (mode < 0.25) { xy[2*i] = (int)(rnd() * (w + 2)) - 1; xy[2*i+1] = (int)(rnd() * (h + 2)) - 1; }
        else if (mode < 0.5) { xy[2*i] = (int)(rnd() * w) + (rnd() < 0.5 ? 0.5 : 0); xy[2*i+1] = (int)(rnd() * h) + (rnd() < 0.5 ? 0.5 : 0.1); }
        else if (mode < 0.6 && i > 0) { xy[2*i] = xy[2*i-2]; xy[2*i+1] = xy[2*i-1] + (rnd() < 0.5 ? 0 : 0.2); }
        else { xy[2*i] = (int)((rnd() * (w + 2) - 1) * 1000) / 1000.0; xy[2*i+1] = (int)((rnd() * (h + 2) - 1) * 1000) / 1000.0; }
      }
      printf("%s[", p ? "," : "");
      for (int i = 0; i < 2 * k; i++) printf("%s%.17g", i ? "," : "", xy[i]);
      printf("]");
      rleFrPoly(R + p, xy, k, h, w);
      free(xy);
    }
    RLE M; rleMerge(R, &M, np, 0);
    printf("],\"counts\":[");
    for (siz j = 0; j < M.m; j++) printf("%s%u", j ? "," : "", M.cnts[j]);
    printf("]}");
    rlesFree(&R, np); rleFree(&M);
  }
  printf("]}\n");
  return 0;
}
