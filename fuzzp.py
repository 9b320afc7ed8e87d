import sys, random, numpy as np, collections
from swiftpg.policies import FactoredSoftmaxPolicy as F, load
def fnv(b):
    h=0xcbf29ce484222325
    for x in b: h=((h^x)*0x100000001b3)&0xFFFFFFFFFFFFFFFF
    return h
p=F(3,[2,3,4],hidden_sizes=(4,)); p.save('/tmp/rv/fp.sp')
data=open('/tmp/rv/fp.sp','rb').read(); body=data[:-8]
print(len(data), fnv(body)==int.from_bytes(data[-8:],'little'), data[:120])
res=collections.Counter()
for k in range(len(body)*4):
    d=bytearray(body); i=k//4; d[i]=[0,0xFF,0x7F,0x80][k%4]
    open('/tmp/rv/fpm.sp','wb').write(bytes(d)+fnv(bytes(d)).to_bytes(8,'little'))
    open('/tmp/rv/last_fp','w').write(str(k))
    try:
        q=load('/tmp/rv/fpm.sp'); res['OK '+type(q).__name__+str(getattr(q,'factor_sizes',''))]+=1
        try:
            a=q.sample(np.ones((2,q.observation_size if hasattr(q,'observation_size') else 3))); q.log_prob(np.ones((2,3)),a); q.probabilities(np.ones((2,3)))
            if hasattr(q,'decode'): q.decode(a)
        except Exception as e: res['use:'+type(e).__name__+str(e)[:50]]+=1
    except Exception as e: res[type(e).__name__+':'+str(e)[:70]]+=1
for k,v in res.most_common(25): print(v,k)
