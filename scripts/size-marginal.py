#!/usr/bin/env python3
"""Each function's marginal cost in the gzipped `.wasm`: the code section is compressed (zlib
level 9, as gzip -9) with one function's body left out at a time, for the N largest bodies.
Names come from the module's name section, so build a named package first (README "Build profile
and size": `wasm-bindgen --keep-debug` then `wasm-opt -O3 -g`).

Usage: python3 scripts/size-marginal.py NAMED.wasm [N=40]
"""
import sys
import zlib
b=open(sys.argv[1],'rb').read()
def leb(b,i):
    r=0;s=0
    while True:
        x=b[i];i+=1;r|=(x&0x7f)<<s;s+=7
        if x<0x80: return r,i
i=8; secs={}
nimports=0
while i<len(b):
    sid=b[i];i+=1
    n,i=leb(b,i)
    secs.setdefault(sid,[]).append((i,n))
    i+=n
# count function imports
st,n=secs[2][0]; j=st; cnt,j=leb(b,j)
for _ in range(cnt):
    l,j=leb(b,j); j+=l; l,j=leb(b,j); j+=l; kind=b[j]; j+=1
    if kind==0: _,j=leb(b,j); nimports+=1
    elif kind==1: j+=1; fl=b[j]; j+=1; _,j=leb(b,j); 
    elif kind==2: fl=b[j]; j+=1; _,j=leb(b,j); 
    elif kind==3: j+=2
# names
names={}
for st,n in secs.get(0,[]):
    j=st; l,j=leb(b,j); nm=b[j:j+l]; j+=l
    if nm==b'name':
        end=st+n
        while j<end:
            sub=b[j]; j+=1; sz,j=leb(b,j); e=j+sz
            if sub==1:
                c,j=leb(b,j)
                for _ in range(c):
                    idx,j=leb(b,j); l,j=leb(b,j); names[idx]=b[j:j+l].decode('utf8','replace'); j+=l
            j=e
st,n=secs[10][0]; j=st; cnt,j=leb(b,j)
bodies=[]
for k in range(cnt):
    sz,j2=leb(b,j); bodies.append((k+nimports, b[j:j2+sz])); j=j2+sz
code=b''.join(x for _,x in bodies)
base=len(zlib.compress(code,9))
print('code gz',base, 'n',len(bodies))
big=sorted(bodies,key=lambda x:-len(x[1]))[:int(sys.argv[2]) if len(sys.argv)>2 else 40]
res=[]
for idx,body in big:
    c2=b''.join(x for k,x in bodies if k!=idx)
    res.append((base-len(zlib.compress(c2,9)), len(body), names.get(idx,str(idx))))
for d,l,nm in sorted(res,reverse=True): print(f"{d:7} {l:7} {nm[:120]}")
