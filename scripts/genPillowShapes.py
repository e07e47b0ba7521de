# Reference masks for test/dataset/pillowShapes.json: random labelme shapes drawn by the installed
# Pillow exactly as labelme's shape_to_mask draws them (labelme <= 6: linestrips without round
# joints), value = shape index + 1, later shapes over earlier ones; masks as row-major runs.
# Regenerate with Debian 12's python3-pil (Pillow 9.4), the version labelmeRaster.ts follows:
#   /usr/bin/python3 scripts/genPillowShapes.py 94 300 test/dataset/pillowShapes.json
import json, math, random, sys
import numpy as np, PIL, PIL.Image, PIL.ImageDraw

def shape_mask(w, h, s):
    m = PIL.Image.new('L', (w, h)); d = PIL.ImageDraw.Draw(m); xy = [tuple(p) for p in s['points']]; t = s['shape_type']
    if t == 'circle':
        (cx, cy), (px, py) = xy; r = math.sqrt((cx - px) ** 2 + (cy - py) ** 2); d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=1, fill=1)
    elif t == 'rectangle':
        (x0, y0), (x1, y1) = xy; d.rectangle(((min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1))), outline=1, fill=1)
    elif t == 'point':
        cx, cy = xy[0]; d.ellipse([cx - 5, cy - 5, cx + 5, cy + 5], outline=1, fill=1)
    elif t in ('line', 'linestrip'):
        d.line(xy=xy, fill=1, width=10)
    else:
        d.polygon(xy=xy, outline=1, fill=1)
    return np.array(m, bool)

def random_shape(w, h):
    t = random.random(); u = lambda a, b: round(random.uniform(a, b), 3)
    if t < 0.45:
        k = random.randint(3, 12); mode = random.random()
        if mode < 0.3: pts = [[random.randint(-1, w + 1), random.randint(-1, h + 1)] for _ in range(k)]
        elif mode < 0.5: pts = [[random.randint(0, w) + random.choice([0, 0.5]), random.randint(0, h) + random.choice([0, 0.5])] for _ in range(k)]
        else: pts = [[u(-1, w + 1), u(-1, h + 1)] for _ in range(k)]
        return {'shape_type': 'polygon', 'points': pts}
    if t < 0.6: return {'shape_type': 'rectangle', 'points': [[u(-1, w + 1), u(-1, h + 1)] for _ in range(2)]}
    if t < 0.75: return {'shape_type': 'circle', 'points': [[u(0, w), u(0, h)], [u(0, w), u(0, h)]]}
    if t < 0.83: return {'shape_type': 'point', 'points': [[u(0, w), u(0, h)]]}
    if t < 0.91: return {'shape_type': 'line', 'points': [[u(0, w), u(0, h)] for _ in range(2)]}
    return {'shape_type': 'linestrip', 'points': [[u(-1, w + 1), u(-1, h + 1)] for _ in range(random.randint(2, 6))]}

random.seed(int(sys.argv[1])); cases = []
for c in range(int(sys.argv[2])):
    w, h = random.randint(8, 48), random.randint(8, 48)
    shapes = [random_shape(w, h) for _ in range(random.randint(1, 3))]
    lab = np.zeros((h, w), np.uint8)
    for i, s in enumerate(shapes): lab[shape_mask(w, h, s)] = i + 1
    flat = lab.flatten().tolist(); vals = []; cnt = []
    for v in flat:
        if vals and vals[-1] == v: cnt[-1] += 1
        else: vals.append(v); cnt.append(1)
    cases.append({'name': f'pillow_{c}', 'w': w, 'h': h, 'shapes': shapes, 'mask': {'values': vals, 'runs': cnt}})
json.dump({'generator': f'Pillow {PIL.__version__} via scripts/genPillowShapes.py {sys.argv[1]} {sys.argv[2]}', 'cases': cases}, open(sys.argv[3], 'w'), separators=(',', ':'))
