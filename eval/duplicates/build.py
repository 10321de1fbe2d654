"""Hand labels for eval/duplicates/pairs.jsonl (written before the detector was tuned)."""
import json, glob
data = {}
for f in ['data/companies.jsonl'] + sorted(glob.glob('data/batches/*.jsonl')):
    for l in open(f):
        d = json.loads(l); data[d['id']] = d
deals = {json.loads(l)['id']: json.loads(l) for l in open('eval/deals/profiles.jsonl')}

def ref(x):
    if isinstance(x, dict):
        return x
    src, _, i = x.partition(':')
    table = data if src == 'data' else deals
    assert i in table, x
    return {'ref': x}

pairs = []
def add(a, b, dup, kind, note=''):
    pairs.append({'a': ref(a), 'b': ref(b), 'duplicate': dup, 'kind': kind, 'note': note})

same = ['medipost','koreabio','kpbma','lakifa','gangwon-technopark','khidi','kotra','kuhnil-pharm','jw-pharmaceutical','hanall-biopharma','vuno','korea-united-pharm','dong-a-st','boryung','daewoong-pharmaceutical','whanin-pharm','eoflow','i-sens','seegene','samsung-medical-center','hanmi-pharmaceutical','yuhan','bridge-biotherapeutics','abl-bio','chong-kun-dang','samsung-bioepis','hugel','sk-biopharmaceuticals','sd-biosensor','olix-pharmaceuticals','sk-bioscience','samsung-biologics','huons-biopharma','alteogen','cj-cheiljedang-bio','samsung-medison','lunit','celltrion','megagen-implant','kaist','sillajen','genexine','boditech-med','medytox','gc-biopharma','osstem-implant','kist','pinotbio','kddf']
for i in same:
    add(f'deals:{i}', f'data:{i}', True, 'curated twice', 'the same organisation curated independently for eval/deals and data/')
add('deals:legochem-biosciences', 'data:ligachem-biosciences', True, 'old name', 'LegoChem Biosciences renamed itself LigaChem Biosciences in 2024')

KR, LV = 'KR', 'LV'
def rec(name, country, name_local=None, website=None):
    r = {'name': name, 'country': country}
    if name_local: r['name_local'] = name_local
    if website: r['website'] = website
    return r
variants = [
    (rec('Geoyoung Co., Ltd.', KR, '(주)지오영'), 'geo-young', 'legal form'),
    (rec('지오영', KR), 'geo-young', 'Hangul only'),
    (rec('Ji-o-yeong', KR), 'geo-young', 'romanised'),
    (rec('AS Grindeks', LV, 'Grindeks, akciju sabiedrība', 'https://www.grindeks.lv'), 'grindeks', 'legal form, domain variant'),
    (rec('Olainfarm', LV, 'AS Olainfarm'), 'olpha', 'old name'),
    (rec('Celltrion, Inc.', KR, '셀트리온', 'https://celltrion.com'), 'celltrion', 'legal form'),
    (rec('종근당', KR), 'chong-kun-dang', 'Hangul only'),
    (rec('Daewoong Pharmaceutical Co., Ltd.', KR, None, 'http://daewoong.co.kr'), 'daewoong-pharmaceutical', 'legal form, domain variant'),
    (rec('Hanmi Pharm. Co., Ltd.', KR, '한미약품(주)', 'https://www.hanmi.co.kr/'), 'hanmi-pharmaceutical', 'legal form'),
    (rec('Boryung Corp.', KR, '(주)보령'), 'boryung', 'legal form'),
    (rec('Yuhan Corp.', KR, '유한양행'), 'yuhan', 'legal form'),
    (rec('Green Cross Corporation', KR, '녹십자'), 'gc-biopharma', 'old name'),
    (rec('Kolmar Korea Co., Ltd.', KR, '한국콜마(주)'), 'kolmar-korea', 'legal form'),
    (rec('Seegene Inc.', KR, '(주)씨젠', 'https://seegene.com'), 'seegene', 'legal form'),
    (rec('SIA Mikrotīkls', LV, None, 'https://www.mikrotik.com'), 'mikrotik', 'legal name'),
    (rec('Rigas farmaceitiska fabrika', LV), 'rigas-farmaceitiska-fabrika', 'no diacritics'),
    (rec('Rīgas Stradiņa universitāte', LV, None, 'https://rsu.lv'), 'riga-stradins-university', 'Latvian name'),
    (rec('Latvijas Universitāte', LV, None, 'https://www.lu.lv/en/'), 'university-of-latvia', 'Latvian name'),
    (rec('Samsung BioLogics Co., Ltd.', KR, '삼성바이오로직스 주식회사'), 'samsung-biologics', 'legal form'),
    (rec('Vatech Co., Ltd.', KR, '㈜바텍'), 'vatech', 'legal form'),
    (rec('Dong-A ST Co., Ltd.', KR, None, 'https://donga-st.com'), 'dong-a-st', 'legal form'),
    (rec('Osstem Implant Co., Ltd.', KR, '오스템임플란트 주식회사'), 'osstem-implant', 'legal form'),
    (rec('Sidrabe Vacuum', LV, 'AS Sidrabe', 'https://sidrabe.com'), 'sidrabe', 'trading name'),
    (rec('Latvian Institute of Organic Synthesis', LV, 'Latvijas Organiskas sintezes instituts'), 'osi-latvia', 'no diacritics'),
    (rec('Biosan SIA', LV, None, 'https://www.biosan.lv'), 'biosan', 'legal form'),
    (rec('셀트리온', KR), 'celltrion', 'Hangul only'),
]
for r, i, kind in variants:
    add(r, f'data:{i}', True, kind)

nondup = [
 ('hanmi-pharmaceutical','hanmi-fine-chemical','same group'),('samsung-biologics','samsung-bioepis','parent/subsidiary'),
 ('samsung-biologics','samsung-medison','same group'),('samsung-bioepis','samsung-medison','same group'),
 ('samsung-medical-center','samsung-life-science-fund','same group'),('samsung-medical-center','samsung-medison','same group'),
 ('celltrion','celltrion-pharm','parent/subsidiary'),('chong-kun-dang','chong-kun-dang-bio','same group'),
 ('yuhan','yuhan-chemical','parent/subsidiary'),('daewoong-pharmaceutical','daewoong-pet','same group'),
 ('sk-bioscience','sk-biopharmaceuticals','same group'),('sk-plasma','sk-pharmteco','same group'),
 ('gc-biopharma','gc-cell','same group'),('gc-biopharma','gc-labs','same group'),('gc-cell','gc-labs','same group'),
 ('osstem-implant','osstem-cardiotec','same group'),('dongkook-pharmaceutical','dongkook-life-science','parent/subsidiary'),
 ('huons','huons-biopharma','same group'),('kolon-tissuegene','kolon-biotech','same group'),
 ('lsk-global-ps','lsk-investment','similar name'),('cha-biotech','cha-vaccine-institute','same group'),
 ('cha-biotech','cha-bundang-medical-center','same group'),('seoul-national-university','seoul-national-university-hospital','university and its hospital'),
 ('jeil-pharmaceutical','jeil-medical','similar name'),('dong-a-st','dong-a-university-hospital','similar name'),
 ('hyundai-bioscience','hyundai-pharm','similar name'),('hyundai-pharm','hyundai-glovis','similar name'),
 ('korea-pharma','korea-united-pharm','similar name'),('medytox','medit','similar name'),('hugel','huons','similar name'),
 ('genexine','geneone-life-science','similar name'),('cellid','cellumed','similar name'),('drtech','drgem','similar name'),
 ('dentium','dentis','similar name'),('hanall-biopharma','hanlim-pharm','similar name'),
 ('dongsung-pharmaceutical','dongkook-pharmaceutical','similar name'),('ilyang-pharmaceutical','ildong-pharmaceutical','similar name'),
 ('kribb','krict','similar name'),('kist','kaist','similar name'),('gist','dgist','similar name'),
 ('university-of-latvia','latvia-university-of-life-sciences','similar name'),
 ('riga-technical-university','riga-stradins-university','similar name'),('pauls-stradins-hospital','riga-stradins-university','similar name'),
 ('grindeks','kalceks','parent/subsidiary'),('university-of-latvia','ul-institute-of-microbiology-and-biotechnology','unit of'),
 ('riga-stradins-university','rsu-institute-of-stomatology','unit of'),('dong-wha-pharm','dongwon-pharm-group','similar name'),
 ('taejoon-pharm','taejeon-group','similar name'),('cj-cheiljedang-bio','cj-logistics','same group'),
 ('kpbma','kobia','similar name'),('koreabio','kobia','similar name'),('kddf','kmdf','similar name'),
 ('apotheka-latvia','latvijas-aptieka','similar name'),('seoul-national-university-hospital','seoul-clinical-laboratories','similar name'),
 ('samsung-biologics','samsung-life-science-fund','same group'),('sk-bioscience','sk-plasma','same group'),
 ('lg-chem-life-sciences','lg-optics','similar name'),('roche-riga','roche-diagnostics-korea','same group, other country'),
 ('korea-pharma','korea-pharmaceutical-distribution-association','similar name'),
 ('riga-east-university-hospital','childrens-clinical-university-hospital','similar name'),
 ('inje-university-busan-paik-hospital','pusan-national-university-hospital','similar name'),
]
for a, b, kind in nondup:
    add(f'data:{a}', f'data:{b}', False, kind)
deal_nondup = [
 ('sk-bioscience','sk-chemicals','parent/subsidiary'),('sk-biopharmaceuticals','sk-inc','parent/subsidiary'),
 ('yonsei-university','gangnam-severance-hospital','university and its hospital'),('severance-hospital','gangnam-severance-hospital','same group'),
 ('seoul-st-marys-hospital','catholic-medical-center','same group'),('samyang-biopharm','samyang-genex-bio','same group'),
 ('gangwon-technopark','jeonbuk-technopark','similar name'),('gangwon-technopark','daejeon-technopark','similar name'),
 ('korea-pharma','pharmbio-korea','similar name'),('latvian-biotechnology-association','lithuanian-biotechnology-association','similar name, other country'),
 ('siemens-healthineers-korea','siemens-healthineers','parent/subsidiary, other country'),('tiumbio','dm-bio','similar name'),
]
for a, b, kind in deal_nondup:
    add(f'data:{a}', f'deals:{b}', False, kind)
inline_nondup = [
 (rec('Hanmi Science', KR, '한미사이언스'), 'hanmi-pharmaceutical', 'holding company'),
 (rec('Yuhan-Kimberly', KR, '유한킴벌리'), 'yuhan', 'joint venture'),
 (rec('Chong Kun Dang Holdings', KR, '종근당홀딩스'), 'chong-kun-dang', 'holding company'),
 (rec('Daewoong Co., Ltd.', KR, '(주)대웅'), 'daewoong-pharmaceutical', 'holding company'),
 (rec('Samsung Electronics', KR, '삼성전자'), 'samsung-biologics', 'same group'),
 (rec('GC Holdings', KR, 'GC 녹십자홀딩스'), 'gc-biopharma', 'holding company'),
 (rec('Celltrion Healthcare', KR, '셀트리온헬스케어'), 'celltrion', 'same group (merged into Celltrion in 2023, a separate profile before)'),
 (rec('Kolmar Holdings', KR, '콜마홀딩스'), 'kolmar-korea', 'holding company'),
]
for r, i, kind in inline_nondup:
    add(r, f'data:{i}', False, kind)

with open('eval/duplicates/pairs.jsonl', 'w') as out:
    for p in pairs:
        out.write(json.dumps(p, ensure_ascii=False) + '\n')
print(sum(p['duplicate'] for p in pairs), sum(not p['duplicate'] for p in pairs))
