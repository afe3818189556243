#!/usr/bin/env python3
"""Largest relative difference between two CSVs that bioflux wrote, at the
times both have: python3 scripts/compare-csv.py BEFORE.csv AFTER.csv"""
import csv,sys
def load(p):
    r=list(csv.reader(open(p))); return r[0],[[float(x) for x in row] for row in r[1:]]
h1,a=load(sys.argv[1]); h2,b=load(sys.argv[2])
if len(a)!=len(b): print("rows differ",len(a),len(b))
# compare at common times by interpolation on t
import bisect
ta=[r[0] for r in a]; worst=0; where=None
for row in b:
    t=row[0]; i=bisect.bisect_left(ta,t)
    if i<len(ta) and abs(ta[i]-t)<1e-12:
        for j in range(1,len(row)):
            d=abs(row[j]-a[i][j])/(1+abs(a[i][j]))
            if d>worst: worst=d; where=(t,h1[j])
print("rows",len(a),len(b),"worst rel diff at shared times",worst,where, "final", max(abs(x-y)/(1+abs(x)) for x,y in zip(a[-1][1:],b[-1][1:])))
